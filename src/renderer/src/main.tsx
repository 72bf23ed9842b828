import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './styles/theme.css';
import './styles/controls.css';
import './styles/shell.css';
import './styles/header.css';
import './styles/welcome.css';
import './styles/dialogs.css';
import './styles/messages.css';
import './styles/detail.css';
import './styles/flow.css';
import './styles/conversations.css';
import './styles/undelivered.css';
import './styles/timeline.css';
import './styles/analysis.css';
import './styles/gaps.css';
import { App } from './App.tsx';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
